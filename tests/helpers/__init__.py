"""What the tests share: stacks, a live server, an SSE reader, run and upload helpers, test
images, the catalog's example arguments. Test modules import from here or take a conftest
fixture; a test module never imports another test module."""
