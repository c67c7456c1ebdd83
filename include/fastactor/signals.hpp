#pragma once
// Clean stops on SIGINT/SIGTERM: block them in every thread (call first thing in main,
// before any thread starts), then wait for one in the main thread with sigwait.

namespace fastactor {

/// Blocks SIGINT and SIGTERM for the calling thread and every thread it starts later.
void block_termination_signals();

/// Waits until SIGINT or SIGTERM arrives; returns its number.
int wait_for_termination_signal();

}  // namespace fastactor
