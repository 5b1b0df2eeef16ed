// Command ingestbench is the data generator and HTTP client of bench/ingest.sh.
//
//	ingestbench gen -n 1000000 -ndjson events.ndjson -csv events.csv
//	    writes n realistic decision events as NDJSON (the ingest contract) and the same
//	    rows as CSV in the column order of decision_events (id first), deterministically.
//	ingestbench post -url http://127.0.0.1:8080 -token kt_... -file events.ndjson
//	    posts the NDJSON to /api/v1/events in batches with concurrent clients and fails
//	    unless every line is accepted.
//	ingestbench wait -url http://127.0.0.1:8080/readyz
//	    waits until the URL answers 200.
//	ingestbench freeport
//	    prints a free loopback TCP port.
//	ingestbench field NAME
//	    prints the string field NAME of the JSON object on standard input.
//	ingestbench sqlite-load -db FILE -csv events.csv
//	    loads the CSV like `sqlite3 .import` but through modernc.org/sqlite (the driver
//	    Keeptrail uses), to separate the driver's cost from the rest of the ingest path.
//	ingestbench measure -out FILE -- COMMAND ARGS...
//	    runs the command and writes its CPU time and bytes written to storage to FILE.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: ingestbench gen|post|wait|freeport|field|sqlite-load|measure ...")
		os.Exit(2)
	}
	var err error
	args := os.Args[2:]
	switch os.Args[1] {
	case "gen":
		err = genCommand(args)
	case "post":
		err = postCommand(args)
	case "wait":
		err = waitCommand(args)
	case "freeport":
		err = freePortCommand()
	case "field":
		err = fieldCommand(args)
	case "sqlite-load":
		err = sqliteLoadCommand(args)
	case "measure":
		err = measureCommand(args)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingestbench:", err)
		os.Exit(1)
	}
}
