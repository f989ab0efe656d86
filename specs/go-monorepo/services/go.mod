module example.com/shop/services

go 1.23

require example.com/shop/lib v0.0.0

// go.work joins the modules for builds; the replace lets `go mod download`
// (and builds without go.work) find lib without a module proxy.
replace example.com/shop/lib => ../lib
