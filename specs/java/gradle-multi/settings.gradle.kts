rootProject.name = "shop"

include(":app", ":libs:greeting", ":tools:report")
