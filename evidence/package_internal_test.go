package evidence

// ValidateOSCAL lets the package tests (package evidence_test) check a whole package's
// OSCAL results against NIST's schema with the schema compiled by oscal_test.go.
var ValidateOSCAL = validateOSCAL
