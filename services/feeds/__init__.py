"""Benchmark feeds: where index levels come from, and the one path they are stored by.

Providers (each a ``Provider``: ``kind`` and ``run(resources, stop)``):

- ``stream``: the market-data pipeline's Redis Stream, read by a consumer group
  (:mod:`services.feeds.stream`, on :mod:`services.streams`);
- ``http``: CSV or JSON endpoints polled on a schedule (:mod:`services.feeds.polling`);
- ``file``: one-off backfills from a file or URL (:func:`services.feeds.files.import_levels`).

Whatever the provider, rows go through :mod:`services.feeds.store`: validated, bad rows
quarantined, the rest stored with revisions and sequence numbers, warnings recorded,
``feed_state`` updated, ticks published after the commit. See docs/feeds.md.
"""
