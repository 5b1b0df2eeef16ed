package engine_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/engine"
)

// TestLogin checks sign-in success and each kind of failure, with their audit entries.
func TestLogin(t *testing.T) {
	each(t, func(t *testing.T, x *env) {
		ctx := x.asAdmin()
		_, err := x.e.CreateUser(ctx, engine.NewUser{Email: "tina@acme.example", Name: "Tina", Role: keeptrail.RoleTeamAdmin,
			Teams: []string{"payments"}, Password: "correct horse battery"})
		wantCode(t, err, "")
		_, err = x.e.CreateUser(ctx, engine.NewUser{Email: "sso@acme.example", Name: "Sso Only", Role: keeptrail.RoleViewer, SSOEnrolled: true})
		wantCode(t, err, "")
		pay := team(x.payments.ID)

		seq := x.head()
		p, err := x.e.Login(context.Background(), "Tina@Acme.example", "correct horse battery", "203.0.113.9")
		wantCode(t, err, "")
		if p.Kind != keeptrail.ActorUser || p.Name != "tina@acme.example" || p.Role != keeptrail.RoleTeamAdmin || p.AllTeams ||
			len(p.TeamIDs) != 1 || p.TeamIDs[0] != x.payments.ID || p.SourceIP != "203.0.113.9" || p.UserID == 0 {
			t.Fatalf("principal %+v", p)
		}
		x.expect(t, seq, entry{"tina@acme.example", "auth.login", "authentication", pay, "user:tina@acme.example", "low", "success", `{"method":"password"}`})

		cases := []struct {
			email, password, reason string
			team                    *int64
		}{
			{"tina@acme.example", "wrong password!!", "wrong password", pay},
			{"nobody@acme.example", "correct horse battery", "unknown user", nil},
			{"sso@acme.example", "", "no local password", nil},
		}
		for _, c := range cases {
			seq := x.head()
			_, err := x.e.Login(context.Background(), c.email, c.password, "203.0.113.9")
			wantCode(t, err, keeptrail.EUNAUTHORIZED)
			if keeptrail.ErrorMessage(err) != "invalid email or password" {
				t.Fatalf("message %q", keeptrail.ErrorMessage(err))
			}
			x.expect(t, seq, entry{c.email, "auth.login_failed", "authentication", c.team, "user:" + c.email, "medium", "failure",
				`{"reason":"` + c.reason + `"}`})
			got := x.since(seq)[0]
			if got.SourceIP != "203.0.113.9" || got.ActorKind != keeptrail.ActorUser {
				t.Fatalf("failed login entry %+v", got)
			}
		}

		_, err = x.e.DeactivateUser(ctx, "tina@acme.example")
		wantCode(t, err, "")
		seq = x.head()
		_, err = x.e.Login(context.Background(), "tina@acme.example", "correct horse battery", "203.0.113.9")
		wantCode(t, err, keeptrail.EUNAUTHORIZED)
		x.expect(t, seq, entry{"tina@acme.example", "auth.login_failed", "authentication", pay, "user:tina@acme.example", "medium", "failure",
			`{"reason":"user deprovisioned"}`})
		for _, e := range x.since(0) {
			if bytes.Contains(e.Details, []byte("correct horse")) || bytes.Contains(e.Details, []byte("argon2")) {
				t.Fatalf("audit entry %d holds a password or hash: %s", e.Seq, e.Details)
			}
		}
	})
}

// TestAPIKeyLifecycle follows a key from creation through rotation to revocation and
// checks what the database holds of it.
func TestAPIKeyLifecycle(t *testing.T) {
	each(t, func(t *testing.T, x *env) {
		ctx := x.asAdmin()
		k, token, err := x.e.CreateAPIKey(ctx, engine.NewAPIKey{Name: "gw ingest", Role: keeptrail.RoleGateway, Teams: []string{"payments"}})
		wantCode(t, err, "")
		prefix, secret, ok := splitToken(token)
		if !ok || prefix != k.Prefix {
			t.Fatalf("token %q for prefix %q", token, k.Prefix)
		}

		// The database holds the prefix and SHA-256(secret), never the secret.
		var rawPrefix, rawName, rawTeams string
		var rawHash []byte
		err = x.db.SQL().QueryRow("SELECT prefix, name, team_ids, secret_hash FROM api_keys WHERE prefix = '"+k.Prefix+"'").
			Scan(&rawPrefix, &rawName, &rawTeams, &rawHash)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(secret))
		if rawPrefix != k.Prefix || !bytes.Equal(rawHash, sum[:]) {
			t.Fatalf("stored prefix %q hash %x, want %q %x", rawPrefix, rawHash, k.Prefix, sum)
		}
		if strings.Contains(rawName+rawTeams+string(rawHash), secret) {
			t.Fatal("the secret is stored")
		}
		keys, err := x.e.APIKeys(ctx)
		wantCode(t, err, "")
		if len(keys) != 1 || keys[0].Prefix != k.Prefix || keys[0].SecretHash != nil {
			t.Fatalf("listed keys %+v", keys)
		}

		p, err := x.e.Authenticate(context.Background(), token, "192.0.2.10")
		wantCode(t, err, "")
		if p.Kind != keeptrail.ActorAPIKey || p.Name != "key:"+k.Prefix || p.Role != keeptrail.RoleGateway || p.AllTeams ||
			len(p.TeamIDs) != 1 || p.TeamIDs[0] != x.payments.ID || p.SourceIP != "192.0.2.10" || p.APIKeyID != k.ID {
			t.Fatalf("principal %+v", p)
		}

		x.clock.Add(time.Hour)
		_, newToken, err := x.e.RotateAPIKey(ctx, k.Prefix)
		wantCode(t, err, "")
		if newToken == token || !strings.HasPrefix(newToken, "kt_"+k.Prefix+"_") {
			t.Fatalf("rotated token %q", newToken)
		}
		seq := x.head()
		_, err = x.e.Authenticate(context.Background(), token, "192.0.2.10")
		wantCode(t, err, keeptrail.EUNAUTHORIZED)
		x.expect(t, seq, entry{"key:" + k.Prefix, "auth.api_key_rejected", "authentication", nil, "api_key:" + k.Prefix, "medium", "failure", `{"reason":"wrong secret"}`})
		_, err = x.e.Authenticate(context.Background(), newToken, "192.0.2.10")
		wantCode(t, err, "")

		_, err = x.e.RevokeAPIKey(ctx, k.Prefix)
		wantCode(t, err, "")
		seq = x.head()
		_, err = x.e.Authenticate(context.Background(), newToken, "192.0.2.10")
		wantCode(t, err, keeptrail.EUNAUTHORIZED)
		x.expect(t, seq, entry{"key:" + k.Prefix, "auth.api_key_rejected", "authentication", nil, "api_key:" + k.Prefix, "medium", "failure", `{"reason":"revoked key"}`})
		_, _, err = x.e.RotateAPIKey(ctx, k.Prefix)
		wantCode(t, err, keeptrail.ECONFLICT)
		_, err = x.e.RevokeAPIKey(ctx, k.Prefix)
		wantCode(t, err, keeptrail.ECONFLICT)
		_, err = x.e.RevokeAPIKey(ctx, "zzzzzzzz")
		wantCode(t, err, keeptrail.ENOTFOUND)

		for _, e := range x.since(0) {
			for _, s := range []string{secret, secretOf(newToken)} {
				if strings.Contains(e.Target+e.Actor+string(e.Details), s) {
					t.Fatalf("audit entry %d holds a secret", e.Seq)
				}
			}
		}
	})
}

func splitToken(tok string) (prefix, secret string, ok bool) {
	rest, ok := strings.CutPrefix(tok, "kt_")
	if !ok {
		return "", "", false
	}
	prefix, secret, ok = strings.Cut(rest, "_")
	return prefix, secret, ok && len(prefix) == 8 && len(secret) == 32
}

func secretOf(tok string) string {
	_, s, _ := splitToken(tok)
	return s
}

// TestAuthenticateRejects checks malformed and unknown tokens and the keys of a
// deprovisioned owner; the audit entry never holds what looks like a secret.
func TestAuthenticateRejects(t *testing.T) {
	each(t, func(t *testing.T, x *env) {
		cases := []struct {
			name, token, actor, target, reason string
		}{
			{"empty", "", "anonymous", "", "malformed token"},
			{"bearer garbage", "Bearer abc", "anonymous", "", "malformed token"},
			{"short secret", "kt_abcdefgh_tooshort", "key:abcdefgh", "api_key:abcdefgh", "malformed token"},
			{"upper case prefix", "kt_ABCDEFGH_" + strings.Repeat("a", 32), "anonymous", "", "malformed token"},
			{"unknown", "kt_abcdefgh_" + strings.Repeat("b", 32), "key:abcdefgh", "api_key:abcdefgh", "unknown key"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				seq := x.head()
				_, err := x.e.Authenticate(context.Background(), c.token, "192.0.2.66")
				wantCode(t, err, keeptrail.EUNAUTHORIZED)
				x.expect(t, seq, entry{c.actor, "auth.api_key_rejected", "authentication", nil, c.target, "medium", "failure", `{"reason":"` + c.reason + `"}`})
			})
		}

		// A team_admin key carries its owner's teams; a deprovisioned owner's keys fail even
		// when they were not revoked (e.g. the owner was deprovisioned by a SCIM import).
		owner := x.user(keeptrail.RoleTeamAdmin, "research")
		k, token, err := x.e.CreateAPIKey(x.asAdmin(), engine.NewAPIKey{Name: "ta", Role: keeptrail.RoleTeamAdmin, OwnerEmail: owner.Email})
		wantCode(t, err, "")
		p, err := x.e.Authenticate(context.Background(), token, "")
		wantCode(t, err, "")
		if p.AllTeams || len(p.TeamIDs) != 1 || p.TeamIDs[0] != x.research.ID || p.UserID != owner.ID {
			t.Fatalf("team admin key principal %+v", p)
		}
		err = x.db.Update(context.Background(), func(tx keeptrail.Tx) error {
			u, err := tx.UserByID(owner.ID)
			if err != nil {
				return err
			}
			u.Active = false
			return tx.UpdateUser(&u)
		})
		if err != nil {
			t.Fatal(err)
		}
		seq := x.head()
		_, err = x.e.Authenticate(context.Background(), token, "")
		wantCode(t, err, keeptrail.EUNAUTHORIZED)
		x.expect(t, seq, entry{"key:" + k.Prefix, "auth.api_key_rejected", "authentication", nil, "api_key:" + k.Prefix, "medium", "failure", `{"reason":"owner deprovisioned"}`})

		// A key with no teams and a role other than team_admin sees every team.
		_, all := x.apiKey(keeptrail.RoleAuditor)
		p, err = x.e.Authenticate(context.Background(), all, "")
		wantCode(t, err, "")
		if !p.AllTeams || p.UserID != 0 {
			t.Fatalf("all-teams key principal %+v", p)
		}
	})
}

// TestLastUsedAt checks that a key's last use is written at most once a minute.
func TestLastUsedAt(t *testing.T) {
	each(t, func(t *testing.T, x *env) {
		k, token := x.apiKey(keeptrail.RoleGateway)
		lastUsed := func() *time.Time {
			var got *time.Time
			err := x.db.View(context.Background(), func(tx keeptrail.Tx) error {
				kk, err := tx.APIKeyByID(k.ID)
				got = kk.LastUsedAt
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		steps := []struct {
			advance time.Duration
			want    time.Time
		}{
			{0, start},
			{30 * time.Second, start},
			{29 * time.Second, start},
			{time.Second, start.Add(time.Minute)},
			{10 * time.Minute, start.Add(11 * time.Minute)},
		}
		for i, s := range steps {
			x.clock.Add(s.advance)
			if _, err := x.e.Authenticate(context.Background(), token, ""); err != nil {
				t.Fatal(err)
			}
			if got := lastUsed(); got == nil || !got.Equal(s.want) {
				t.Fatalf("step %d: last used %v, want %v", i, got, s.want)
			}
		}
	})
}

// TestIdentityValidation checks that bad input names each bad field.
func TestIdentityValidation(t *testing.T) {
	each(t, func(t *testing.T, x *env) {
		ctx := x.asAdmin()
		_, err := x.e.CreateUser(ctx, engine.NewUser{Email: "not-an-email", Role: "root", Teams: []string{"payments", "nope", "payments"}, Password: "short"})
		wantFields(t, err, "email", "name", "role", "password", "teams[1]", "teams[2]")
		_, err = x.e.CreateUser(ctx, engine.NewUser{Email: "a@b.example", Name: "A", Role: keeptrail.RoleTeamAdmin, Password: "twelve chars"})
		wantFields(t, err, "teams")
		_, err = x.e.CreateUser(ctx, engine.NewUser{Email: "a@b.example", Name: "A", Role: keeptrail.RoleGateway})
		wantFields(t, err, "role")
		_, err = x.e.CreateUser(ctx, engine.NewUser{Email: "gw@b.example", Name: "A", Role: keeptrail.RoleViewer, Password: "elevenchars"})
		wantFields(t, err, "password")
		u := x.user(keeptrail.RoleViewer)
		_, err = x.e.CreateUser(ctx, engine.NewUser{Email: strings.ToUpper(u.Email), Name: "Again", Role: keeptrail.RoleViewer})
		wantCode(t, err, keeptrail.ECONFLICT)

		short, tooMany := "short", []string{"growth"}
		_, err = x.e.UpdateUser(ctx, u.Email, engine.UserUpdate{Password: &short, Teams: &tooMany})
		wantFields(t, err, "password", "teams[0]")
		_, err = x.e.UpdateUser(ctx, "ghost@acme.example", engine.UserUpdate{})
		wantCode(t, err, keeptrail.ENOTFOUND)

		_, _, err = x.e.CreateAPIKey(ctx, engine.NewAPIKey{Role: keeptrail.RoleTeamAdmin, Teams: []string{"payments"}})
		wantFields(t, err, "name", "owner_email", "teams")
		_, _, err = x.e.CreateAPIKey(ctx, engine.NewAPIKey{Name: "k", Role: "superuser", OwnerEmail: "ghost@acme.example"})
		wantFields(t, err, "role", "owner_email")

		tz, days, exp := "Mars/Olympus", 0, -1
		_, err = x.e.UpdateSettings(ctx, engine.SettingsUpdate{TimeZone: &tz, KeyRotationDays: &days, ExpiryAfterSLA: &exp,
			SLAMinutes: map[keeptrail.Severity]int{keeptrail.SeverityHigh: 0, "urgent": 5}})
		wantFields(t, err, "time_zone", "key_rotation_days", "sla_minutes.high", "sla_minutes.urgent", "expiry_after_sla_minutes")

		_, err = x.e.CreateTeam(ctx, " ")
		wantFields(t, err, "name")

		_, err = x.e.Login(context.Background(), "x@y.example", "whatever password", "")
		wantCode(t, err, keeptrail.EUNAUTHORIZED)
		_, err = x.e.Users(context.Background())
		wantCode(t, err, keeptrail.EUNAUTHORIZED)
	})
}

// TestDeactivateSelf checks that an admin cannot lock themselves out.
func TestDeactivateSelf(t *testing.T) {
	each(t, func(t *testing.T, x *env) {
		u := x.user(keeptrail.RoleAdmin)
		p, err := x.e.Login(context.Background(), u.Email, "correct horse battery", "")
		wantCode(t, err, "")
		_, err = x.e.DeactivateUser(as(p), u.Email)
		wantCode(t, err, keeptrail.ECONFLICT)
	})
}
