"""Item pipelines: dedupe (one record per identity per crawl) and the JSONL writer."""
