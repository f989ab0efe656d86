// A build tool of the repository, never part of the app image.
