module github.com/keeptrail/keeptrail

go 1.26.8
