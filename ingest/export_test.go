package ingest

// The DESIGN.md examples, for the external tests.
const (
	DesignEvent     = designEvent
	DesignHeartbeat = designHeartbeat
	DesignAudit     = designAudit
)
