package sqlstore_test

import "strconv"

func itoa(n int64) string   { return strconv.FormatInt(n, 10) }
func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func fmtBool(b bool) string { return strconv.FormatBool(b) }

func fmtPtr(p *int64) string {
	if p == nil {
		return "null"
	}
	return itoa(*p)
}

func fmtBoolPtr(p *bool) string {
	if p == nil {
		return "null"
	}
	return fmtBool(*p)
}
