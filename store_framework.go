package keeptrail

// FrameworkTx is the part of Tx that stores custom framework templates for compliance
// packages (SOC 2 and HIPAA are built in and not stored).
type FrameworkTx interface{}
