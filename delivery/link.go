package delivery

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"time"

	"github.com/keeptrail/keeptrail"
)

// Query parameters of a signed download link.
const (
	LinkParamUser    = "user"
	LinkParamExpires = "expires"
	LinkParamSig     = "sig"
)

// minLinkKey is the shortest key NewLinkSigner accepts.
const minLinkKey = 32

// Reasons LinkSigner.Verify rejects a link: *keeptrail.Error EFORBIDDEN, so the web layer
// answers 403 with a message fit for the user. Compare with errors.Is.
var (
	ErrLinkInvalid = &keeptrail.Error{Code: keeptrail.EFORBIDDEN, Message: "download link is not valid"}
	ErrLinkExpired = &keeptrail.Error{Code: keeptrail.EFORBIDDEN, Message: "download link has expired"}
)

// LinkGrant is what a verified link allows: UserID may download ArtifactID until
// Expires — once signed in as that user and still authorised (see the package doc).
type LinkGrant struct {
	ArtifactID string
	UserID     int64
	Expires    time.Time
}

// LinkSigner makes and checks download links that name an artifact, the user it was
// sent to and an expiry, under an HMAC-SHA256 key kept outside the database.
type LinkSigner struct {
	key []byte
	now func() time.Time
}

// NewLinkSigner returns a signer with key (at least 32 bytes; see LoadOrCreateSecret)
// and clock now (nil means time.Now). A short key is a *keeptrail.Error EINVALID naming
// link.key.
func NewLinkSigner(key []byte, now func() time.Time) (*LinkSigner, error) {
	if len(key) < minLinkKey {
		var v keeptrail.Validation
		v.Add("link.key", "must be at least %d bytes", minLinkKey)
		return nil, v.Err()
	}
	if now == nil {
		now = time.Now
	}
	return &LinkSigner{key: bytes.Clone(key), now: now}, nil
}

// Sign returns the query string ("expires=...&sig=...&user=...") that lets userID
// download artifactID until expires (whole seconds, exclusive). artifactID names the
// artifact across kinds ("export/42"), so a link for one kind never opens another. The
// link goes after the download URL of that artifact:
// https://keeptrail.example/exports/42/download?<Sign("export/42", 7, exp)>.
func (s *LinkSigner) Sign(artifactID string, userID int64, expires time.Time) string {
	exp := expires.Unix()
	q := url.Values{
		LinkParamUser:    {strconv.FormatInt(userID, 10)},
		LinkParamExpires: {strconv.FormatInt(exp, 10)},
		LinkParamSig:     {base64.RawURLEncoding.EncodeToString(s.mac(artifactID, userID, exp))},
	}
	return q.Encode()
}

// mac is HMAC-SHA256 over a purpose label and the length-prefixed artifact id, user and
// expiry, so no two different triples share a MAC input.
func (s *LinkSigner) mac(artifactID string, userID, exp int64) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("keeptrail download link v1\x00"))
	m.Write([]byte(strconv.Itoa(len(artifactID)) + ":" + artifactID))
	m.Write([]byte("\x00" + strconv.FormatInt(userID, 10) + "\x00" + strconv.FormatInt(exp, 10)))
	return m.Sum(nil)
}

// Verify checks the link's query for artifactID (taken from the request path, never
// from the query): each parameter present once and canonical, the MAC equal in constant
// time, and the expiry not reached on the signer's clock. It returns ErrLinkInvalid or
// ErrLinkExpired (expired is only said of a link whose MAC is good).
//
// A good link is not enough to download: the caller must also be signed in as
// LinkGrant.UserID and still be allowed to read the artifact.
func (s *LinkSigner) Verify(artifactID string, query url.Values) (LinkGrant, error) {
	user, okU := single(query, LinkParamUser)
	exp, okE := single(query, LinkParamExpires)
	sig, okS := single(query, LinkParamSig)
	if !okU || !okE || !okS {
		return LinkGrant{}, ErrLinkInvalid
	}
	userID, err := strconv.ParseInt(user, 10, 64)
	if err != nil || strconv.FormatInt(userID, 10) != user {
		return LinkGrant{}, ErrLinkInvalid
	}
	expUnix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || strconv.FormatInt(expUnix, 10) != exp {
		return LinkGrant{}, ErrLinkInvalid
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(mac, s.mac(artifactID, userID, expUnix)) {
		return LinkGrant{}, ErrLinkInvalid
	}
	expires := time.Unix(expUnix, 0).UTC()
	if !s.now().Before(expires) {
		return LinkGrant{}, ErrLinkExpired
	}
	return LinkGrant{ArtifactID: artifactID, UserID: userID, Expires: expires}, nil
}

// single returns the one value of key, false when it is absent or repeated.
func single(q url.Values, key string) (string, bool) {
	v := q[key]
	if len(v) != 1 {
		return "", false
	}
	return v[0], true
}
