module example.com/hello

go 1.23

require example.com/greet v0.0.0

// A local module: no module proxy needed to build (and no go.sum entries).
replace example.com/greet => ./greet
