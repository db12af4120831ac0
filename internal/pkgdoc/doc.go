// Package pkgdoc holds a repository-wide test: every Go package in the
// module has a package doc comment.
package pkgdoc
