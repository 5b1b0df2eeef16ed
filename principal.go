package keeptrail

import (
	"context"
	"slices"
)

// Role is what a user or API key may do.
type Role string

// Roles. RoleGateway is for ingest keys that gateways and outside systems use; it may only
// write events, heartbeats and audit entries.
const (
	RoleAdmin             Role = "admin"
	RoleComplianceOfficer Role = "compliance_officer"
	RoleAuditor           Role = "auditor"
	RoleTeamAdmin         Role = "team_admin"
	RoleViewer            Role = "viewer"
	RoleGateway           Role = "gateway"
)

// Roles lists every role, in order of decreasing power.
var Roles = []Role{RoleAdmin, RoleComplianceOfficer, RoleTeamAdmin, RoleAuditor, RoleViewer, RoleGateway}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Action is a class of operation that the role check distinguishes.
type Action int

// Actions a principal may be allowed to take.
const (
	ActRead       Action = iota // read evidence, status, score, the audit log
	ActExport                   // request exports and packages, download them
	ActIngest                   // write decision events, heartbeats, outside audit entries
	ActManage                   // change policies, configurations, escalations, spend in own scope
	ActAdminister               // change users, API keys, security and organization settings
)

// Can reports whether the role permits the action. Team scope is checked separately.
func (r Role) Can(a Action) bool {
	switch r {
	case RoleAdmin:
		return true
	case RoleComplianceOfficer:
		return a == ActRead || a == ActExport || a == ActManage
	case RoleTeamAdmin:
		return a == ActRead || a == ActExport || a == ActManage
	case RoleAuditor:
		return a == ActRead || a == ActExport
	case RoleViewer:
		return a == ActRead
	case RoleGateway:
		return a == ActIngest
	}
	return false
}

// ActorKind says who acted.
type ActorKind string

// Actor kinds recorded in audit entries.
const (
	ActorUser     ActorKind = "user"
	ActorAPIKey   ActorKind = "api_key"
	ActorSystem   ActorKind = "system"
	ActorExternal ActorKind = "external" // an outside system that sent its own audit entry
)

// Principal is the authenticated caller. Its team scope comes from the server's records,
// never from request parameters.
type Principal struct {
	Kind     ActorKind
	UserID   int64  // for ActorUser, and the owner of an API key
	APIKeyID int64  // for ActorAPIKey
	Name     string // email of a user, "key:PREFIX" for a key, "system:JOB" for jobs
	Role     Role
	// AllTeams is true for roles that see the whole organization (admin, compliance
	// officer, auditor, viewer with no team restriction).
	AllTeams bool
	// TeamIDs is the scope when AllTeams is false.
	TeamIDs []int64
	// SourceIP is the address the request came from, for the audit log.
	SourceIP string
}

// SystemPrincipal is the principal of background work (jobs, the scheduler, migrations).
func SystemPrincipal(job string) *Principal {
	return &Principal{Kind: ActorSystem, Name: "system:" + job, Role: RoleAdmin, AllTeams: true}
}

// Scope returns the team filter that queries must apply: nil means every team.
func (p *Principal) Scope() TeamScope {
	if p == nil {
		return TeamScope{None: true}
	}
	if p.AllTeams {
		return TeamScope{}
	}
	return TeamScope{TeamIDs: p.TeamIDs, None: len(p.TeamIDs) == 0}
}

// InTeam reports whether the principal may see the team.
func (p *Principal) InTeam(teamID int64) bool {
	if p == nil {
		return false
	}
	return p.AllTeams || slices.Contains(p.TeamIDs, teamID)
}

// TeamScope is the team restriction a store query applies. The zero value is unrestricted.
type TeamScope struct {
	TeamIDs []int64
	None    bool // the caller may see no team at all: queries return nothing
}

// Unrestricted reports whether the scope admits every team.
func (s TeamScope) Unrestricted() bool { return !s.None && s.TeamIDs == nil }

// Allows reports whether the scope admits the team.
func (s TeamScope) Allows(teamID int64) bool {
	if s.None {
		return false
	}
	return s.TeamIDs == nil || slices.Contains(s.TeamIDs, teamID)
}

type principalKey struct{}

// NewContextWithPrincipal returns a context that carries p.
func NewContextWithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFromContext returns the principal in ctx, or nil.
func PrincipalFromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
