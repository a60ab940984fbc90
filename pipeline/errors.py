"""Errors that tell the user which source and partition failed and what to do about it."""

from __future__ import annotations


class PipelineError(RuntimeError):
    """Base for errors the CLI prints without a traceback."""


class SourceError(PipelineError):
    def __init__(self, source: str, partition: str, problem: str, fix: str) -> None:
        self.source, self.partition, self.problem, self.fix = source, partition, problem, fix
        super().__init__(f"{source} {partition}: {problem}. Fix: {fix}")
