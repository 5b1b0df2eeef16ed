package keeptrail

// ComplianceTx is the part of Tx that policy compliance status and the compliance score
// use: hourly rollups maintained at ingest, and the daily score history.
type ComplianceTx interface{}
