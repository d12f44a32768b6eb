"""Outputs: a reconciliation written for people, as an adjustment workbook to review."""

from workbench.outputs.excel import safe_text, workbook_bytes, write_workbook

__all__ = ["safe_text", "workbook_bytes", "write_workbook"]
