package delivery

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/keeptrail/keeptrail"
)

func keeptrailCode(err error) string { return keeptrail.ErrorCode(err) }

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
