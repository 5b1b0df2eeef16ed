package web

import "github.com/keeptrail/keeptrail/ingest"

// routes declares every route of the server, in one place.
func (s *Server) routes() {
	// Operations: open, for probes and Prometheus.
	s.mux.Handle("GET /healthz", s.handle(s.healthz))
	s.mux.Handle("GET /readyz", s.handle(s.readyz))
	s.mux.Handle("GET /metrics", s.metricsHandler())

	// The API: every route needs an API key.
	api := func(pattern string, h handlerFunc) {
		s.mux.Handle(pattern, s.authenticate(s.handle(h)))
	}

	// Ingest (gateways and outside systems).
	api("POST /api/v1/events", s.ingestHandler(ingest.KindEvents))
	api("POST /api/v1/heartbeats", s.ingestHandler(ingest.KindHeartbeats))
	api("POST /api/v1/audit", s.ingestHandler(ingest.KindAudit))

	// Organization and identity.
	api("GET /api/v1/teams", s.teamList)
	api("POST /api/v1/teams", s.teamCreate)
	api("GET /api/v1/users", s.userList)
	api("POST /api/v1/users", s.userCreate)
	api("PATCH /api/v1/users/{email}", s.userUpdate)
	api("POST /api/v1/users/{email}/deactivate", s.userDeactivate)
	api("GET /api/v1/api-keys", s.apiKeyList)
	api("POST /api/v1/api-keys", s.apiKeyCreate)
	api("POST /api/v1/api-keys/{prefix}/rotate", s.apiKeyRotate)
	api("POST /api/v1/api-keys/{prefix}/revoke", s.apiKeyRevoke)
	api("GET /api/v1/settings", s.settingsShow)
	api("PATCH /api/v1/settings", s.settingsUpdate)
	api("GET /api/v1/gateways", s.gatewayList)

	// Policies, configuration versions, deployments, alerting rules.
	api("GET /api/v1/policies", s.policyList)
	api("POST /api/v1/policies", s.policyCreate)
	api("PUT /api/v1/policies/{id}", s.policyUpdate)
	api("POST /api/v1/policies/{id}/activate", s.policyActivate)
	api("POST /api/v1/policies/{id}/deactivate", s.policyDeactivate)
	api("POST /api/v1/policies/{id}/assign", s.policyAssign)
	api("GET /api/v1/configuration-versions", s.configurationVersionList)
	api("POST /api/v1/configuration-versions", s.configurationVersionCreate)
	api("GET /api/v1/deployments", s.deploymentList)
	api("POST /api/v1/deployments", s.deploymentCreate)
	api("GET /api/v1/alerting-rules", s.alertingRuleList)
	api("POST /api/v1/alerting-rules", s.alertingRuleCreate)
	api("PUT /api/v1/alerting-rules/{id}", s.alertingRuleUpdate)

	// Escalations.
	api("GET /api/v1/escalations", s.escalationList)
	api("GET /api/v1/escalations/{id}", s.escalationShow)
	api("POST /api/v1/escalations/{id}/claim", s.escalationClaim)
	api("POST /api/v1/escalations/{id}/reassign", s.escalationReassign)
	api("POST /api/v1/escalations/{id}/resolve", s.escalationResolve)

	// Compliance frameworks: built-in SOC 2 and HIPAA, custom templates (web/frameworks.go).
	api("GET /api/v1/frameworks", s.frameworkList)
	api("POST /api/v1/frameworks", s.frameworkCreate)
	api("GET /api/v1/frameworks/{name}", s.frameworkShow)
	api("PUT /api/v1/frameworks/{name}", s.frameworkUpdate)
	api("DELETE /api/v1/frameworks/{name}", s.frameworkDelete)

	// Policy compliance status and the compliance score.
	api("GET /api/v1/compliance/status", s.complianceStatus)
	api("GET /api/v1/compliance/score", s.complianceScore)

	// Exports (web/export.go; the queue is Config.Exports).
	api("POST /api/v1/exports", s.exportCreate)
	api("GET /api/v1/exports", s.exportList)
	api("GET /api/v1/exports/{id}", s.exportShow)
	api("POST /api/v1/exports/{id}/cancel", s.exportCancel)
	api("GET /api/v1/exports/{id}/download", s.exportDownload)
	api("GET /api/v1/exports/{id}/manifest", s.exportManifest)

	// Spend.
	api("GET /api/v1/wallets", s.walletList)
	api("POST /api/v1/wallets", s.walletCreate)
	api("POST /api/v1/wallets/{id}/entries", s.walletEntryCreate)
	api("GET /api/v1/cost-tickets", s.costTicketList)
	api("POST /api/v1/cost-tickets", s.costTicketCreate)
	api("POST /api/v1/cost-tickets/{id}/resolve", s.costTicketResolve)
}
