import bcrypt from "bcrypt";
import { greeting } from "@acme/shared";

// bcrypt's native addon and the shared workspace package, both at run time.
const hash = bcrypt.hashSync("secret", 4);
console.log(greeting("api"));
console.log(`bcrypt native: ${bcrypt.compareSync("secret", hash)}`);
