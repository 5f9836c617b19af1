module github.com/picamgo/picamgo

go 1.26.0

require github.com/mattn/go-pointer v0.0.1

require golang.org/x/sync v0.25.0

require golang.org/x/sys v0.50.0
