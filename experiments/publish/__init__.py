"""Publishing data and the model: a package to deposit as is, and its check.

- `publish`: `alliance-publish`; `verify`: `alliance-verify`;
- `publication`: the metadata an author fills in; `card`: dataset card, CITATION.cff
  and datapackage.json; `crate`: RO-Crate and DataCite; `zenodo`: `.zenodo.json`;
- `conventions`: CF and ACDD for published data; `manifest`: the SHA-256 manifest;
- `release`: the model's archive for the CoMSES Computational Model Library.
"""
