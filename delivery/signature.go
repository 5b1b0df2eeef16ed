package delivery

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Webhook request headers.
const (
	// HeaderSignature carries "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">".
	HeaderSignature = "Keeptrail-Signature"
	// HeaderDelivery carries the delivery id, the same on every retry of one notice to
	// one URL: receivers drop repeats by it.
	HeaderDelivery = "Keeptrail-Delivery"
)

// DefaultSignatureTolerance is how far a signature's timestamp may be from the
// receiver's clock when VerifySignature is given no tolerance.
const DefaultSignatureTolerance = 5 * time.Minute

// Reasons VerifySignature rejects a request.
var (
	ErrSignatureMissing  = errors.New("webhook signature: header missing or malformed")
	ErrSignatureMismatch = errors.New("webhook signature: does not match the body")
	ErrSignatureExpired  = errors.New("webhook signature: timestamp outside the tolerance")
)

// SignatureHeader returns the Keeptrail-Signature value for body sent at t under secret:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>".
func SignatureHeader(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(signatureMAC(secret, ts, body))
}

func signatureMAC(secret []byte, ts string, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}

// VerifySignature checks a Keeptrail-Signature header against the raw request body, for
// receivers of Keeptrail webhooks: a v1 signature must match under secret (several v1
// values are allowed, so a receiver can accept while secrets rotate) and its timestamp
// must be within tolerance of now (DefaultSignatureTolerance when tolerance <= 0), which
// stops replays of old requests. Unknown keys are ignored. Compare in constant time.
func VerifySignature(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultSignatureTolerance
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrSignatureMissing
		}
		switch k {
		case "t":
			if ts != "" {
				return ErrSignatureMissing
			}
			ts = v
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil || len(sig) != sha256.Size {
				return ErrSignatureMissing
			}
			sigs = append(sigs, sig)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 || strconv.FormatInt(sec, 10) != ts {
		return ErrSignatureMissing
	}
	want := signatureMAC(secret, ts, body)
	ok := false
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			ok = true
		}
	}
	if !ok {
		return ErrSignatureMismatch
	}
	age := now.Sub(time.Unix(sec, 0))
	if age > tolerance || age < -tolerance {
		return ErrSignatureExpired
	}
	return nil
}
