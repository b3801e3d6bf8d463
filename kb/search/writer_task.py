"""Whoosh's indexing process, made to die with the process that started it.

Whoosh's multiprocessing writer (`ix.writer(procs=N)`) starts processes that wait on a job queue
only their parent fills: after a `kill -9` of the parent they would wait forever, holding the
index's files (kb/store/processes.py). Its own `cancel()` only sets a flag in the parent's copy of
each task, so `stop_tasks` ends them too. Imported only where a large batch is indexed: it imports
multiprocessing, which `runbook search` never needs.
"""

from __future__ import annotations

import os

from whoosh.multiproc import SubWriterTask

from kb.store.processes import die_with_parent


class OrphanFreeTask(SubWriterTask):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.parent_pid = os.getpid()
        self.daemon = True  # a parent that exits normally ends it instead of waiting for it

    def run(self) -> None:
        die_with_parent(self.parent_pid)
        super().run()


def start_task(writer) -> OrphanFreeTask:
    """MpWriter._new_task, with OrphanFreeTask."""
    task = OrphanFreeTask(writer.storage, writer.indexname, writer.jobqueue, writer.resultqueue, writer.subargs,
                          writer.multisegment)
    writer.tasks.append(task)
    task.start()
    return task


def stop_tasks(writer) -> None:
    """End the writer's processes (after its cancel()): killed if still running, then reaped."""
    for task in getattr(writer, "tasks", ()):
        if task.is_alive():
            task.kill()
        task.join(timeout=5)
