# bench/browser_fields.sh — sourced: BROWSER_FIELDS, wrk's -H options for the nine header
# fields a browser adds to a navigation (User-Agent, Accept, Sec-Fetch-*, ...), so that a
# benchmark or a training run can send a browser-sized request (bench/instructions.sh's
# `browser` load, scripts/pgo-build.sh). Accept-Encoding is identity: the response stays as
# /hello's plain one.
BROWSER_FIELDS=(
  -H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36'
  -H 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8'
  -H 'Accept-Language: en-US,en;q=0.9'
  -H 'Accept-Encoding: identity'
  -H 'Cache-Control: no-cache'
  -H 'Sec-Fetch-Dest: document'
  -H 'Sec-Fetch-Mode: navigate'
  -H 'Sec-Fetch-Site: none'
  -H 'Upgrade-Insecure-Requests: 1')
