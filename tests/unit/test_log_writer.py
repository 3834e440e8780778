"""LineWriter: lines queued by any thread reach the streams whole, in order, in batches."""

from __future__ import annotations

import logging
import threading

from tests.support.waiting import wait_until
from webapp.observability.log_writer import PIPE_BUF, LineWriter, chunks


class RecordingStream:
    """A stream that keeps every write call."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, text: str) -> None:
        self.writes.append(text)

    def flush(self) -> None:
        pass

    def lines(self) -> list[str]:
        return "".join(self.writes).splitlines()


def _writer(interval: float, **kwargs) -> tuple[LineWriter, RecordingStream]:
    stream = RecordingStream()
    return LineWriter([logging.StreamHandler(stream)], flush_interval_s=interval, **kwargs), stream


def test_chunks_hold_whole_lines_within_pipe_buf() -> None:
    lines = [f"line {i} " + "x" * (i * 37 % 300) for i in range(200)] + ["é" * 3000, "y" * 5000]

    parts = list(chunks(lines))

    assert "".join(parts).splitlines() == lines
    assert all(part.endswith("\n") for part in parts)
    oversized = [part for part in parts if len(part.encode()) > PIPE_BUF]
    assert oversized == ["é" * 3000 + "\n", "y" * 5000 + "\n"]  # only lines too long alone


def test_lines_wait_for_the_interval_then_arrive_in_order() -> None:
    writer, stream = _writer(0.2)
    try:
        for i in range(10):
            writer.write(f"line {i}")
        assert stream.writes == []  # nothing written by the logging thread itself

        wait_until(lambda: len(stream.lines()) == 10, 5)
        assert stream.lines() == [f"line {i}" for i in range(10)]
        assert len(stream.writes) == 1  # one write for the batch
    finally:
        writer.close()


def test_many_threads_lose_nothing_and_keep_their_own_order() -> None:
    writer, stream = _writer(0.01)
    per_thread = 2000

    def log_from(name: str) -> None:
        for i in range(per_thread):
            writer.write(f"{name} {i}")

    threads = [threading.Thread(target=log_from, args=(f"t{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()

    lines = stream.lines()
    assert len(lines) == 8 * per_thread
    for n in range(8):
        mine = [int(line.split()[1]) for line in lines if line.startswith(f"t{n} ")]
        assert mine == list(range(per_thread))
    assert all(len(text.encode()) <= PIPE_BUF for text in stream.writes)


def test_a_full_batch_is_written_before_the_interval() -> None:
    writer, stream = _writer(60.0, max_pending=50)
    try:
        for i in range(50):
            writer.write(f"line {i}")
        wait_until(lambda: len(stream.lines()) == 50, 5)
    finally:
        writer.close()


def test_flush_and_close_write_what_is_pending() -> None:
    writer, stream = _writer(60.0)
    writer.write("first")
    writer.flush()
    assert stream.lines() == ["first"]

    writer.write("second")
    writer.close()
    assert stream.lines() == ["first", "second"]
    assert not any(t.name == "log-writer" and t.is_alive() for t in threading.enumerate())

    writer.write("after close")  # written at once by the caller from now on
    assert stream.lines()[-1] == "after close"


def test_zero_interval_writes_each_line_at_once() -> None:
    writer, stream = _writer(0.0)
    writer.write("now")
    assert stream.writes == ["now\n"]
    assert not any(t.name == "log-writer" for t in threading.enumerate())
    writer.close()


def test_a_broken_stream_sends_the_lines_to_stderr(capsys) -> None:
    class Broken(RecordingStream):
        def write(self, text: str) -> None:
            raise OSError("disk full")

    writer = LineWriter([logging.StreamHandler(Broken())], flush_interval_s=0.0)
    writer.write("kept")
    writer.close()

    assert "kept\n" in capsys.readouterr().err
