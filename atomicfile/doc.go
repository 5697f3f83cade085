// Package atomicfile writes files so that a crash, kill -9 or power loss at
// any moment leaves either the previous file or the new one at the path,
// never a truncated mix: the data goes to a uniquely named temporary file in
// the same directory, which is synced and renamed over the path, and then
// the directory is synced so that the rename itself is durable.
//
// Every writer of checkpoints, tokenizers, images, reports and kernelspecs
// in the project goes through it.
package atomicfile
