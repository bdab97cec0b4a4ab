"""Tests, one module per simulation module."""
