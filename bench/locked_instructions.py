#!/usr/bin/env python3
"""bench/locked_instructions.py PROFILE REQUESTS [TOP] — locked instructions per request.

A locked read-modify-write (an atomic counter, a shared_ptr copy, a mutex) is one instruction
to callgrind but costs ~20 cycles and holds up the CPU's pipeline: the instruction count does
not show it. This counts them. PROFILE is a callgrind profile made with
`--dump-instr=yes --compress-pos=no --compress-strings=no` (bench/instructions.sh makes one);
each executed instruction's address is looked up in `objdump -d` of its object, and those
with a `lock` prefix (or an `xchg` with memory, locked without one) are summed.

Prints `locked_per_request=N`, then the TOP (10) sites: executions per request, the object,
the instruction and the function.
"""
import collections
import re
import subprocess
import sys

LOCKED = re.compile(r'^\s*([0-9a-f]+):\s+(lock\s.*|xchg\s+\S*\(.*|xchg\s+[^,]*,\s*\S*\(.*)$', re.M)


def executed(profile):
    """{object: {address: executions}} and {(object, address): function}."""
    counts = collections.defaultdict(collections.Counter)
    function = {}
    obj = fn = None
    call_cost_next = False
    with open(profile) as lines:
        for line in lines:
            if line.startswith('ob='):
                obj = line[3:].strip()
            elif line.startswith('fn='):
                fn = line[3:].strip()
            elif line.startswith('calls='):
                call_cost_next = True  # the next line is the call's inclusive cost
            elif line.startswith('0x'):
                if call_cost_next:
                    call_cost_next = False
                    continue
                address, _, cost = line.split()[:3]
                counts[obj][int(address, 16)] += int(cost)
                function[(obj, int(address, 16))] = fn
    return counts, function


def main():
    profile, requests = sys.argv[1], int(sys.argv[2])
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    counts, function = executed(profile)
    sites, total = [], 0
    for obj, by_address in counts.items():
        if not obj or not obj.startswith('/'):
            continue
        listing = subprocess.run(['objdump', '-d', '--no-show-raw-insn', obj],
                                 capture_output=True, text=True).stdout
        for m in LOCKED.finditer(listing):
            n = by_address.get(int(m.group(1), 16), 0)
            if n:
                total += n
                sites.append((n, obj.rsplit('/', 1)[-1], m.group(2).strip()[:32],
                              (function.get((obj, int(m.group(1), 16))) or '?')[:100]))
    print('locked_per_request=%.2f' % (total / requests))
    for n, obj, instruction, fn in sorted(sites, reverse=True)[:top]:
        print('%6.2f  %-24s %-32s %s' % (n / requests, obj, instruction, fn))


if __name__ == '__main__':
    main()
