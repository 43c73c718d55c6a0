"""The garbage-collector tuning extension (backlink_spider/gctuning.py)."""

from __future__ import annotations

import gc

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from backlink_spider.gctuning import GarbageCollectorTuning


@pytest.fixture
def restore_gc():
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_thresholds_set_and_startup_objects_frozen_when_the_engine_starts(restore_gc):
    crawler = get_crawler(settings_dict={"GC_THRESHOLDS": "12345,6,7", "GC_FREEZE_AT_START": True})
    extension = GarbageCollectorTuning.from_crawler(crawler)
    assert gc.get_threshold() != (12345, 6, 7)  # nothing changes before the crawl starts
    extension.engine_started()
    assert gc.get_threshold() == (12345, 6, 7)
    assert gc.get_freeze_count() > 1000  # the modules and components built before the start


def test_empty_thresholds_keep_pythons_own(restore_gc):
    before = gc.get_threshold()
    crawler = get_crawler(settings_dict={"GC_THRESHOLDS": "", "GC_FREEZE_AT_START": True})
    GarbageCollectorTuning.from_crawler(crawler).engine_started()
    assert gc.get_threshold() == before


def test_off():
    crawler = get_crawler(settings_dict={"GC_THRESHOLDS": [], "GC_FREEZE_AT_START": False})
    with pytest.raises(NotConfigured):
        GarbageCollectorTuning.from_crawler(crawler)
