"""Files on disk: written atomically, and their temporaries removed.

- `files`: atomic writes of text, NetCDF and Zarr files and of whole folders;
- `cleanup`: the temporaries of atomic writes, this process's and dead processes'.
"""
