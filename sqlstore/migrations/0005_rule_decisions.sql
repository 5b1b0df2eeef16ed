-- The rule rollups also count, of the decision events that matched each rule, those
-- blocked and those escalated, so that reports can show blocks and escalations by policy.
ALTER TABLE compliance_rule_hours ADD COLUMN blocked BIGINT NOT NULL DEFAULT 0;
ALTER TABLE compliance_rule_hours ADD COLUMN escalated BIGINT NOT NULL DEFAULT 0;
ALTER TABLE compliance_rule_days ADD COLUMN blocked BIGINT NOT NULL DEFAULT 0;
ALTER TABLE compliance_rule_days ADD COLUMN escalated BIGINT NOT NULL DEFAULT 0;
ALTER TABLE compliance_rule_months ADD COLUMN blocked BIGINT NOT NULL DEFAULT 0;
ALTER TABLE compliance_rule_months ADD COLUMN escalated BIGINT NOT NULL DEFAULT 0;

-- Rows rolled up before this migration counted matches only. The JSON list of rules an
-- event matched is read differently by each database, so the backfill is the rebuild
-- from the raw events that the first compliance read runs when this mark is set
-- (RebuildComplianceRollups); until then the rollups are not read.
UPDATE compliance_rollup_state SET rebuild_pending = TRUE
WHERE EXISTS (SELECT 1 FROM compliance_rule_hours WHERE matches > 0);
