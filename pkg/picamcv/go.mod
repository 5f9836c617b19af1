module github.com/picamgo/picamgo/pkg/picamcv

go 1.26.0

require (
	github.com/picamgo/picamgo v0.0.0
	gocv.io/x/gocv v0.39.0
)

require (
	github.com/mattn/go-pointer v0.0.1 // indirect
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)

replace github.com/picamgo/picamgo => ../..
