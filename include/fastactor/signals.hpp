#pragma once
// Clean stops on SIGINT/SIGTERM, reloads on SIGHUP: block them in every thread (call first
// thing in main, before any thread starts), then wait for one in the main thread with sigwait.

namespace fastactor {

/// Blocks SIGINT, SIGTERM and SIGHUP for the calling thread and every thread it starts later.
/// A blocked SIGHUP nobody waits for is ignored (it no longer ends the program).
void block_termination_signals();

/// Waits until SIGINT or SIGTERM arrives; returns its number.
int wait_for_termination_signal();

/// Waits until SIGINT, SIGTERM or SIGHUP arrives; returns its number (run() stops on the
/// first two and reloads the TLS certificate on SIGHUP).
int wait_for_control_signal();

}  // namespace fastactor
