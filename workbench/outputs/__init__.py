"""Outputs: a reconciliation written for people, as an adjustment workbook to review."""

from workbench.outputs.excel import workbook_bytes, write_workbook

__all__ = ["workbook_bytes", "write_workbook"]
