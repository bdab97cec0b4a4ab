"""A command's process: its start, its interruption, its progress line.

- `startup`: imports with the garbage collector paused; pool workers' set-up;
- `interrupts`: Ctrl-C, a full disk and a read-only folder end a command in one line;
- `progress`: the one progress line (tqdm, on stderr).

These import nothing heavy, so a command's process and its pool workers start fast.
"""
