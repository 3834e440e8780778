"""Job compute in child processes: a job thread supervises one child per busy job slot.

`kind.ProcessKind` says what runs where: its `prepare` runs on the job thread (I/O such as loading
a slate), its `compute` in the child (CPU only). `child` is the code that runs in the child;
`supervisor.ComputeProcesses` starts children from a forkserver that has imported the compute code
once, relays their progress and checkpoints to the job, and stops them on cancel, lost lease, drain,
time limit or memory limit.
"""
