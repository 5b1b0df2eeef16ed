package delivery

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

func TestSignatureHeaderFormat(t *testing.T) {
	body := []byte(`{"event":"export.succeeded"}`)
	mac := hmac.New(sha256.New, webhookSecret)
	mac.Write([]byte("1741064767." + string(body)))
	want := "t=1741064767,v1=" + hex.EncodeToString(mac.Sum(nil))
	if got := SignatureHeader(webhookSecret, testNow, body); got != want {
		t.Fatalf("SignatureHeader = %q, want %q", got, want)
	}
}

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"event":"export.succeeded","id":"42"}`)
	good := SignatureHeader(webhookSecret, testNow, body)
	other := SignatureHeader([]byte("another secret of 32 bytes......"), testNow, body)
	ts, goodV1, _ := strings.Cut(good, ",")
	_, otherV1, _ := strings.Cut(other, ",")
	cases := []struct {
		name   string
		secret []byte
		header string
		body   string
		now    time.Time
		tol    time.Duration
		want   error
	}{
		{"valid", webhookSecret, good, string(body), testNow, time.Minute, nil},
		{"valid within tolerance", webhookSecret, good, string(body), testNow.Add(59 * time.Second), time.Minute, nil},
		{"valid with spaces", webhookSecret, ts + ", " + goodV1, string(body), testNow, time.Minute, nil},
		{"rotation: second v1 matches", webhookSecret, ts + "," + otherV1 + "," + goodV1, string(body), testNow, time.Minute, nil},
		{"unknown keys ignored", webhookSecret, ts + ",v0=abc," + goodV1, string(body), testNow, time.Minute, nil},
		{"default tolerance 5 min", webhookSecret, good, string(body), testNow.Add(4 * time.Minute), 0, nil},
		{"body tampered", webhookSecret, good, strings.Replace(string(body), "42", "43", 1), testNow, time.Minute, ErrSignatureMismatch},
		{"wrong secret", []byte("another secret of 32 bytes......"), good, string(body), testNow, time.Minute, ErrSignatureMismatch},
		{"timestamp changed", webhookSecret, "t=1741064768," + goodV1, string(body), testNow, time.Minute, ErrSignatureMismatch},
		{"too old", webhookSecret, good, string(body), testNow.Add(61 * time.Second), time.Minute, ErrSignatureExpired},
		{"from the future", webhookSecret, good, string(body), testNow.Add(-61 * time.Second), time.Minute, ErrSignatureExpired},
		{"default tolerance exceeded", webhookSecret, good, string(body), testNow.Add(6 * time.Minute), 0, ErrSignatureExpired},
		{"empty", webhookSecret, "", string(body), testNow, time.Minute, ErrSignatureMissing},
		{"no v1", webhookSecret, ts, string(body), testNow, time.Minute, ErrSignatureMissing},
		{"no t", webhookSecret, goodV1, string(body), testNow, time.Minute, ErrSignatureMissing},
		{"two t", webhookSecret, ts + "," + ts + "," + goodV1, string(body), testNow, time.Minute, ErrSignatureMissing},
		{"t not canonical", webhookSecret, "t=+1741064767," + goodV1, string(body), testNow, time.Minute, ErrSignatureMissing},
		{"v1 not hex", webhookSecret, ts + ",v1=zz", string(body), testNow, time.Minute, ErrSignatureMissing},
		{"v1 short", webhookSecret, ts + ",v1=abcd", string(body), testNow, time.Minute, ErrSignatureMissing},
		{"no equals", webhookSecret, ts + ",garbage", string(body), testNow, time.Minute, ErrSignatureMissing},
	}
	for _, tc := range cases {
		if got := VerifySignature(tc.secret, tc.header, []byte(tc.body), tc.now, tc.tol); got != tc.want {
			t.Errorf("%s: VerifySignature = %v, want %v", tc.name, got, tc.want)
		}
	}
}
