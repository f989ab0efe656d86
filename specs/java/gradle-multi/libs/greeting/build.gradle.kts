// No dependencies: the JDK only.
