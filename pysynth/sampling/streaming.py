"""pysynth.sampling.stream: generation as an iterator of audio blocks, in constant memory,
with the engine in a background thread.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ..checks import check_number
from ..modelfile import ModelFile
from .plan import make_plan

__all__ = ["stream"]


class _StopStreaming(Exception):
    """Raised inside the engine's callback when the consumer of stream() went away."""


def stream(
    model: str | os.PathLike | ModelFile,
    *,
    n: int = 16,
    seconds: float = 4.0,
    temperature: float = 1.0,
    min_p: float = 0.0,
    seed: int = 0,
    prime: np.ndarray | str | os.PathLike | None = None,
    cond: int | Sequence[int] | np.ndarray | None = None,
    device: str = "auto",
    threads: int = 0,
    block_seconds: float = 0.25,
) -> Iterator[np.ndarray]:
    """Generate like :func:`sample`, yielding float32 blocks ``(n, <= block)`` as they are made.

    Memory stays constant however long ``seconds`` is: the engine runs in a background
    thread (it releases the GIL) and waits while two blocks are unconsumed. Closing the
    iterator early (``break``) stops the generation within one block. The concatenated
    blocks equal ``sample(...)`` with the same arguments.

    Examples
    --------
    >>> for block in pysynth.sampling.stream("model.pysynth", n=2, seconds=3600):  # doctest: +SKIP
    ...     player.write(block)
    """
    block_seconds = check_number(block_seconds, "block_seconds", lo=0)
    plan = make_plan(model, n=n, seconds=seconds, temperature=temperature, seed=seed, prime=prime,
                     cond=cond, device=device, threads=threads, min_p=min_p)
    chunk = max(1, round(block_seconds * plan.sample_rate))
    decode = plan.decoder()
    blocks: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()
    done = object()

    def offer(item: Any) -> bool:
        """Queue item unless the consumer went away (then False)."""
        while not stop.is_set():
            try:
                blocks.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def on_block(block: np.ndarray, offset: int) -> None:
        if not offer(decode(block)):
            raise _StopStreaming

    def work() -> None:
        try:
            plan.run(on_block, chunk=chunk)
            offer(done)
        except _StopStreaming:
            pass
        except BaseException as exc:  # handed to the consumer, re-raised there
            offer(exc)

    worker = threading.Thread(target=work, name="pysynth-stream", daemon=True)
    worker.start()
    try:
        while True:
            item = blocks.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()  # the worker stops at its next block (within one block of work)
        worker.join()
