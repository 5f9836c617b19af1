module github.com/picamgo/picamgo

go 1.26
