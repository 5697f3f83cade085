// Package regularfile reads files named by users (images, instruction lists)
// without trusting what the name points at: only a regular file is read,
// never a FIFO (which would block), a device such as /dev/zero (endless) or
// a directory, and never more than a stated number of bytes.
package regularfile
