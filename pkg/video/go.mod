module github.com/picamgo/picamgo/pkg/video

go 1.26.0

replace github.com/picamgo/picamgo => ../..

require github.com/picamgo/picamgo v0.0.0-00010101000000-000000000000

require (
	github.com/mattn/go-pointer v0.0.1 // indirect
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)
