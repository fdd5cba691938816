"""Pure BPMN handling: safe parsing and extraction. No Flask, no database."""

from app.bpmn.extract import extract
from app.bpmn.parse import BpmnError, parse_bpmn

__all__ = ["BpmnError", "extract", "parse_bpmn"]
