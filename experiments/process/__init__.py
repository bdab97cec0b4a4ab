"""A command's process: its command line, its start, its interruption, its progress line.

- `commandline`: what every tool shares on the command line: short help,
  `--version`, one-line refusals, argument types, Hydra's flags checked;
- `startup`: imports with the garbage collector paused; pool workers' set-up;
- `interrupts`: Ctrl-C, a full disk and a read-only folder end a command in one line;
- `progress`: the one progress line (tqdm, on stderr).

These import nothing heavy, so a command's process and its pool workers start fast.
"""
