// A C target needs a source file; the header is the whole of this module.
