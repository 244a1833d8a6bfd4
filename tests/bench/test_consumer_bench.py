"""bench.consumer's reading of py-spy's collapsed stacks."""

from __future__ import annotations

from bench.consumer import top_frames

MAIN = 'process 10:"celery worker"'
CHILD = 'process 11:"celery worker"'


def test_shares_are_per_process_kind_without_the_wrappers_on_every_stack(tmp_path):
    raw = tmp_path / "profile.txt"
    raw.write_text(
        f"{MAIN};main (celery.py:1);asynloop (loops.py:2) 20\n"
        f"{MAIN};main (celery.py:1);on_readable (redis.py:3) 20\n"
        f"{CHILD};Worker.workloop (pool.py:4);process (consumer.py:5);clear (ledger.py:6) 30\n"
        f"{CHILD};Worker.workloop (pool.py:4);process (consumer.py:5) 20\n"
        f"{CHILD};Worker.workloop (pool.py:4);log (logs.py:7) 10\n"
    )
    shares = top_frames(raw)
    children = {name: (inc, own) for inc, own, name in shares["pool children"]}
    assert children["process (consumer.py)"] == (50.0, 20.0)
    assert children["clear (ledger.py)"] == (30.0, 30.0)
    assert "Worker.workloop (pool.py)" not in children  # on every child stack
    main = {name for _, _, name in shares["main process"]}
    assert main == {"asynloop (loops.py)", "on_readable (redis.py)"}


def test_the_threads_pools_task_threads_are_a_kind_of_their_own(tmp_path):
    raw = tmp_path / "profile.txt"
    raw.write_text(
        f"{MAIN};main (celery.py:1);asynloop (loops.py:2) 15\n"
        f"{MAIN};main (celery.py:1);on_readable (redis.py:3) 10\n"
        f"{MAIN};_bootstrap (threading.py:1);apply_target (base.py:2);run (task.py:3) 50\n"
        f"{MAIN};_bootstrap (threading.py:1);apply_target (base.py:2);ack (redis.py:4) 25\n"
    )
    shares = top_frames(raw)
    main = {name for _, _, name in shares["main process"]}
    assert main == {"asynloop (loops.py)", "on_readable (redis.py)"}
    threads = {name: (inc, own) for inc, own, name in shares["pool threads"]}
    assert threads["run (task.py)"] == (50.0, 50.0)
    assert "apply_target (base.py)" not in threads  # on every task thread's stack
