package keeptrail

// ExportTx is the part of Tx that the export engine and its job queue use: streaming,
// scoped reads of each export type in one snapshot, and the durable export jobs.
type ExportTx interface{}
