package delivery

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/keeptrail/keeptrail"
)

func keeptrailCode(err error) string { return keeptrail.ErrorCode(err) }

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func decodeBase64(b []byte) ([]byte, error) {
	clean := strings.NewReplacer("\r", "", "\n", "").Replace(string(b))
	return base64.StdEncoding.DecodeString(clean)
}
