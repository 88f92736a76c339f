"""The bounded LRU cache of judge results."""

import threading

import pytest

from xent_envs.judge.cache import LRUCache


def test_the_least_recently_used_entry_goes_first():
    cache: LRUCache[int] = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("c", 3)  # evicts a, the oldest; never the newest
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, 2, 3)
    assert cache.get("b") == 2  # b is now the most recent
    cache.put("d", 4)  # evicts c
    assert (cache.get("b"), cache.get("c"), cache.get("d")) == (2, None, 4)
    cache.put("b", 5)  # an update refreshes, it does not grow
    cache.put("e", 6)  # evicts d
    assert (cache.get("b"), cache.get("d"), cache.get("e"), len(cache)) == (5, None, 6, 2)


def test_counts_and_clear():
    cache: LRUCache[str] = LRUCache(4)
    cache.put(1, "x")
    cache.get(1)
    cache.get(2)
    assert cache.info() == {"size": 1, "maxsize": 4, "hits": 1, "misses": 1}
    cache.clear()
    assert cache.info() == {"size": 0, "maxsize": 4, "hits": 0, "misses": 0}


def test_size_zero_keeps_nothing_and_negative_is_refused():
    cache: LRUCache[int] = LRUCache(0)
    cache.put("a", 1)
    assert cache.get("a") is None and len(cache) == 0
    with pytest.raises(ValueError, match="cache size must be >= 0"):
        LRUCache(-1)


def test_threads_never_overfill_it():
    cache: LRUCache[int] = LRUCache(50)

    def work(offset):
        for i in range(2000):
            cache.put((offset, i % 120), i)
            cache.get((offset, (i * 7) % 120))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    info = cache.info()
    assert info["size"] == 50 and info["hits"] + info["misses"] == 4 * 2000
