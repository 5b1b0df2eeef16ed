package evidence

import (
	"strings"
	"unicode/utf8"
)

// maxPathBytes bounds a member path; ZIP allows 65535 bytes but no file system does.
const maxPathBytes = 1024

// CheckPath reports why path cannot name a member of a bundle, or "" when it can. A member
// path is relative, '/'-separated, valid UTF-8, without NUL or other control characters,
// backslashes, colons (a drive letter on Windows), empty segments, or "." and ".."
// segments, so that unpacking a bundle anywhere writes only inside its folder.
func CheckPath(path string) string {
	switch {
	case path == "":
		return "is empty"
	case len(path) > maxPathBytes:
		return "is longer than 1024 bytes"
	case !utf8.ValidString(path):
		return "is not valid UTF-8"
	case strings.ContainsRune(path, 0):
		return "contains a NUL byte"
	case strings.ContainsRune(path, '\\'):
		return "contains a backslash"
	case strings.HasPrefix(path, "/"):
		return "is absolute"
	case strings.ContainsRune(path, ':'):
		return "contains a colon"
	}
	for _, r := range path {
		if r < 0x20 || r == 0x7f {
			return "contains a control character"
		}
	}
	for _, seg := range strings.Split(path, "/") {
		switch seg {
		case "":
			return "has an empty segment"
		case ".":
			return `has a "." segment`
		case "..":
			return `has a ".." segment`
		}
	}
	return ""
}

// parentDirs returns the folders that path lies in: "a/b/c" gives "a" and "a/b".
func parentDirs(path string) []string {
	var dirs []string
	for i := 0; i < len(path); i++ {
		if path[i] == '/' {
			dirs = append(dirs, path[:i])
		}
	}
	return dirs
}
